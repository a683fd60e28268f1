"""The agent that applies the rules: one job (a source batch, a round of dues, or a
partition's quarantined cases) at a time."""

import faust

from streams.runtime import Runtime


def register(app: faust.App, jobs: faust.ChannelT, runtime: Runtime) -> faust.types.AgentT:
    @app.agent(jobs, name="apply_rules", concurrency=1)
    async def apply_rules(stream):
        async for job in stream:
            try:
                job.done.set_result(await runtime.execute(job))
            except Exception as exc:  # the submitter decides: a failed job stops the worker
                job.done.set_exception(exc)

    return apply_rules
