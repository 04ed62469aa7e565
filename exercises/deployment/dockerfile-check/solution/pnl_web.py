"""A stand-in for the stage's P&L API, so that this exercise can check the command your image runs.

It is a plain ASGI app with an app factory, like `pnl_service.create_app()` in the gunicorn-app-factory
exercise, but it needs nothing beyond the standard library. Gunicorn loads it with `pnl_web:create_app()`.
You do not need to change this file.
"""
import json


def create_app():
    """Builds the ASGI app: GET /healthz answers 200 {"status": "ok"}; anything else is 404."""

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        found = scope["method"] == "GET" and scope["path"] == "/healthz"
        body = json.dumps({"status": "ok"} if found else {"detail": "Not Found"}).encode()
        await send({
            "type": "http.response.start",
            "status": 200 if found else 404,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        })
        await send({"type": "http.response.body", "body": body})

    return app
