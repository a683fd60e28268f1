"""`casewatch report --day ... --send`: the bulletin's record (schemas/bulletin.py) on
`<prefix>bulletins`, key = its id, for the notifier to deliver (docs/notify.md)."""

from schemas.bulletin import BulletinFigures, BulletinRecord, bulletin_id
from streams import kafka_clients
from streams.settings import Settings

TOPIC = "bulletins"


def bulletin_record(bulletin, written) -> BulletinRecord:
    """The record of a built bulletin (report/bulletin.py) and its written documents."""
    totals = bulletin.totals
    rectified, verified, returned = totals.actions
    figures = BulletinFigures(new_warnings=sum(totals.new_warnings),
                              new_problems=totals.problems_found,
                              overdue_now=bulletin.overdue_total, rectified=rectified,
                              verified=verified, returned=returned,
                              units_clear=len(bulletin.clear_units))
    day = bulletin.day.date
    return BulletinRecord(bulletin_id=bulletin_id(day, bulletin.unit), day=day,
                          unit_id=bulletin.unit, generated_at=bulletin.generated_at,
                          figures=figures, html=str(written.html.resolve()),
                          pdf=str(written.pdf.resolve()))


def publish(settings: Settings, record: BulletinRecord) -> None:
    producer = kafka_clients.producer(settings, acks="all", max_block_ms=10_000)
    try:
        producer.send(settings.topic(TOPIC), key=record.bulletin_id.encode(),
                      value=record.model_dump_json().encode()).get(timeout=30)
    finally:
        producer.close()
