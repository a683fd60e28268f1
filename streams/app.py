"""The Faust app: topics and tables, from settings. Agents live in streams/agents/."""

import faust

from rules.clock import WallClock
from rules.engine import Engine
from streams.due_index import DueIndex
from streams.gaps import GapTracker
from streams.kafka_auth import faust_kwargs
from streams.settings import Settings

settings = Settings.from_env()

app = faust.App(
    settings.app_id,
    broker=f"kafka://{settings.kafka_bootstrap}",
    store="rocksdb://",
    datadir=str(settings.state_dir),
    topic_partitions=settings.partitions,
    topic_replication_factor=1,
    topic_allow_declare=True,
    consumer_auto_offset_reset="earliest",
    broker_commit_interval=0.5,
    broker_session_timeout=10.0,
    broker_heartbeat_interval=1.0,
    web_enabled=False,
    autodiscover=False,
    **faust_kwargs(settings),
)

RAW = dict(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")

case_events = app.topic(settings.topic("case-events"), **RAW)
case_ticks = app.topic(settings.topic("case-ticks"), **RAW)
#: The agent reads both: all messages of one case share a partition number in each.
case_inputs = app.topic(settings.topic("case-events"), settings.topic("case-ticks"), **RAW)
warnings_topic = app.topic(settings.topic("warnings"), **RAW)
dead_letters = app.topic(settings.topic("case-events.dlq"), **RAW)
case_rows = app.topic(settings.topic("case-rows"), **RAW)

#: case_id -> CaseState JSON (events in force, what was published, next timer)
cases = app.Table("cases", default=None, partitions=settings.partitions, key_type=bytes,
                  value_type=bytes)
#: case_id -> [next_at, partition]: the small table the due index is rebuilt from
dues = app.Table("dues", default=None, partitions=settings.partitions, key_type=bytes,
                  value_type=bytes)

engine = Engine()
clock = WallClock()  # the engine's 'now' live; `casewatch evaluate --at` uses a FixedClock
due_index = DueIndex()
gaps = GapTracker()
