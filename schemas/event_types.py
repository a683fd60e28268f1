"""The event types of contract version 1: Chinese label, level and `details` model."""

from dataclasses import dataclass

from schemas import details as d


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    label_zh: str
    details: type[d.Details]
    case_level: bool = False

    @property
    def details_required(self) -> bool:
        return any(f.is_required() for f in self.details.model_fields.values())


_TYPES = [
    EventType("summons_started", "传唤/拘传到案", d.SummonsStarted),
    EventType("summons_extended", "传唤/拘传延长至24小时", d.Approved),
    EventType("summons_ended", "传唤/拘传结束", d.Details),
    EventType("detained", "执行刑事拘留", d.Detained),
    EventType("detention_period_extended", "延长提请批准逮捕期限", d.DetentionPeriodExtended),
    EventType("sent_to_jail", "送看守所羁押", d.SentToJail),
    EventType("family_notified", "通知家属", d.FamilyNotified),
    EventType("family_notice_exempted", "无法通知 / 有碍侦查不通知", d.FamilyNoticeExempted),
    EventType("notice_exemption_ended", "不通知情形消失", d.NoticeExemptionEnded),
    EventType("interrogated", "讯问", d.Details),
    EventType("arrest_requested", "提请批准逮捕", d.Details),
    EventType("arrest_approved", "检察院批准逮捕", d.Details),
    EventType("arrest_denied", "检察院不批准逮捕", d.Details),
    EventType("arrested", "执行逮捕", d.Details),
    EventType("custody_extended", "延长侦查羁押期限", d.CustodyExtended),
    EventType("custody_recounted", "重新计算侦查羁押期限", d.CustodyRecounted),
    EventType("bail_started", "执行取保候审", d.BailStarted),
    EventType("bail_ended", "解除取保候审", d.Details),
    EventType("rs_started", "执行监视居住", d.RsStarted),
    EventType("rs_ended", "解除监视居住", d.Details),
    EventType("released", "释放", d.Released),
    EventType("measure_change_requested", "申请变更强制措施", d.Details),
    EventType("measure_change_decided", "变更强制措施申请已答复", d.MeasureChangeDecided),
    EventType("transferred_for_prosecution", "移送审查起诉", d.Details),
    EventType("returned_for_supplementary_investigation", "退回补充侦查", d.Details),
    EventType("supplementary_investigation_completed", "补充侦查完毕重新移送", d.Details),
    EventType("admin_questioning_started", "行政案件询问查证开始", d.Details),
    EventType("admin_questioning_extended", "询问查证延长至24小时", d.Approved),
    EventType("admin_questioning_ended", "询问查证结束", d.Details),
    EventType("admin_case_accepted", "行政案件受理", d.Details, case_level=True),
    EventType("admin_case_extended", "行政案件办案期限延长30日", d.Approved, case_level=True),
    EventType("admin_case_decided", "行政案件作出决定", d.Details, case_level=True),
    EventType("admin_decision_served", "决定书送达", d.Details, case_level=True),
    # issue 14's rule families
    EventType("criminal_case_accepted", "刑事案件受案", d.Details, case_level=True),
    EventType("filing_review_extended", "立案审查期限延长", d.FilingReviewExtended,
              case_level=True),
    EventType("filing_decided", "作出立案或不予立案决定", d.FilingDecided, case_level=True),
    EventType("continued_questioning_started", "继续盘问开始", d.Details),
    EventType("continued_questioning_extended", "延长继续盘问时限", d.Approved),
    EventType("continued_questioning_ended", "继续盘问结束", d.Details),
    EventType("property_seized", "提取涉案财物", d.PropertyItem, case_level=True),
    EventType("property_handed_over", "涉案财物移交管理人员", d.PropertyItem, case_level=True),
    EventType("property_disposed", "涉案财物处理完毕", d.PropertyItem, case_level=True),
    EventType("admin_detention_decided", "作出行政拘留决定", d.Details),
    EventType("admin_detention_executed", "行政拘留送拘留所执行", d.Details),
    EventType("lawyer_meeting_requested", "辩护律师要求会见", d.LawyerMeetingRequested),
    EventType("lawyer_meeting_held", "安排律师会见", d.Details),
    EventType("document_filed", "文书入卷", d.DocumentFiled),
    EventType("case_flagged_special", "列为特定案件", d.Details, case_level=True),
    EventType("case_closed", "撤销案件/结案", d.CaseClosed, case_level=True),
    EventType("event_retracted", "撤回错误记录", d.EventRetracted, case_level=True),
]

EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _TYPES}
CASE_LEVEL_TYPES = frozenset(t.name for t in _TYPES if t.case_level)
