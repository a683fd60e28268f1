"""streams.agents.rules through Faust's test_context: each job runs on the runtime, and
its result or error comes back to the submitter."""

import asyncio

import pytest

from streams.agents import rules
from streams.app import create_app
from streams.settings import Settings
from streams.work import Job


class Runtime:
    def __init__(self, fail: bool = False):
        self.fail = fail
        self.jobs: list[Job] = []

    async def execute(self, job: Job):
        self.jobs.append(job)
        if self.fail:
            raise RuntimeError("kafka down")
        return {("t", 0): len(job.records)}


@pytest.fixture
def app(tmp_path):
    return create_app(Settings(state_dir=tmp_path, app_id="agent-test"))


def run_job(app, runtime: Runtime, job: Job):
    agent = rules.register(app, app.channel(), runtime)

    async def go():
        job.done = asyncio.get_running_loop().create_future()
        async with agent.test_context() as agent_:
            await agent_.put(job)
        return await job.done

    return asyncio.run(go())


def test_a_job_returns_its_offsets(app):
    runtime = Runtime()
    assert run_job(app, runtime, Job(records=[1, 2, 3])) == {("t", 0): 3}
    assert len(runtime.jobs) == 1


def test_a_failed_job_hands_its_error_to_the_submitter(app):
    with pytest.raises(RuntimeError, match="kafka down"):
        run_job(app, Runtime(fail=True), Job(dues=[(0, "C1")]))


def test_the_factory_builds_independent_apps(tmp_path):
    a = create_app(Settings(state_dir=tmp_path / "a", app_id="a", health_port=1))
    b = create_app(Settings(state_dir=tmp_path / "b", app_id="b", health_port=2))
    assert a is not b and a.conf.id == "a" and b.conf.web_port == 2
    assert a.runtime is not b.runtime
    assert "apply_rules" in {ag.name.rsplit(".", 1)[-1] for ag in a.agents.values()}
