"""The reference ceiling for bench/serve.py: the least a scoring server can do per request.

A bare ASGI app on uvicorn (one worker, no access log) that reads the JSON body, builds the
model-input row with the service's own functions (no validation), and makes one booster call for
the champion's probability and its native TreeSHAP contributions (serving.champion.LoadedModel,
the service's fast path), answering the probability and the four largest contributions. No
request model, no decision log, no micro-batching, no middleware.

    python bench/_reference_app.py PORT     (CREDIT_* / MLFLOW_* name the model and the store)
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

MODEL = "credit-risk"


def build_app(model_name: str) -> Any:
    from serving.champion import load_version, settle_heap
    from serving.request_features import feature_rows
    from serving.schemas import Application

    loaded = load_version(model_name)
    settle_heap()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["path"] == "/readyz":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        (row,) = feature_rows([Application.model_construct(**json.loads(body))])
        scored = loaded.score([row.values])
        top = np.argsort(-scored.contributions[0])[:4]
        answer = {
            "probability": float(scored.probability[0]),
            "reasons": [loaded.explainer.features[i] for i in top],
        }
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})

    return app


if __name__ == "__main__":
    import uvicorn

    from credit_risk.environment import prepare_runtime
    from credit_risk.settings import Settings

    settings = Settings()
    prepare_runtime(settings)
    uvicorn.run(
        build_app(settings.mlflow.registered_model),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        access_log=False,
        log_level="warning",
        lifespan="on",
    )
