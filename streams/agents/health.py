"""Health and readiness on Faust's web server: GET /health and /ready."""

import faust

from streams.runtime import Runtime


def register(app: faust.App, runtime: Runtime) -> None:
    @app.page("/health")
    async def health(web, request):
        return web.json({"status": "ok"})

    @app.page("/ready")
    async def ready(web, request):
        body = {"ready": runtime.ready, "partitions": sorted(runtime.stores),
                "due": len(runtime.due_index)}
        return web.json(body, status=200 if runtime.ready else 503)
