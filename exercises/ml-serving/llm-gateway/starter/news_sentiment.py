"""News-sentiment endpoint backed by an OpenAI-compatible chat-completions API.

A first cut that works when the model behaves. Make it pass the verifier (see README.md).
"""
import json
import os
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import httpx
from fastapi import Depends, FastAPI
from pydantic import BaseModel

FRONTEND_ORIGINS = ["http://localhost:5173"]  # the Vite dev server of the React app


@dataclass(frozen=True)
class LLMSettings:
    api_key: str
    base_url: str = "https://api.openai.com"
    model: str = "gpt-4o-mini"


@lru_cache(maxsize=1)
def get_settings() -> LLMSettings:
    return LLMSettings(
        api_key=os.environ["NEWS_LLM_API_KEY"],
        base_url=os.environ.get("NEWS_LLM_BASE_URL", "https://api.openai.com"),
        model=os.environ.get("NEWS_LLM_MODEL", "gpt-4o-mini"),
    )


@lru_cache(maxsize=1)
def get_http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=3.0))


class Sentiment(str, Enum):
    positive = "positive"
    negative = "negative"
    neutral = "neutral"


class NewsRequest(BaseModel):
    headline: str
    ticker: str


class NewsAnalysis(BaseModel):
    sentiment: str
    confidence: float
    model: str


def create_app() -> FastAPI:
    app = FastAPI(title="News sentiment")
    # TODO: CORS for the React dev server, operation_id, the streaming route.

    @app.post("/v1/news/sentiment", response_model=NewsAnalysis)
    async def analyze_news(
        body: NewsRequest,
        settings: LLMSettings = Depends(get_settings),
        http: httpx.AsyncClient = Depends(get_http_client),
    ):
        # TODO: a system message, temperature 0, fenced JSON, one repair retry, 429 -> 503, 502 on junk.
        prompt = f"Classify the sentiment of this headline about {body.ticker} as JSON: {body.headline}"
        resp = await http.post(
            f"{settings.base_url}/v1/chat/completions",
            headers={"Authorization": f"Bearer {settings.api_key}"},
            json={"model": settings.model, "messages": [{"role": "user", "content": prompt}]},
        )
        data = json.loads(resp.json()["choices"][0]["message"]["content"])
        return {**data, "model": settings.model}

    return app
