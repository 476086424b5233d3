"""OpenTelemetry tracing: one provider per process; spans cross Kafka in `traceparent` headers."""

import os

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter


def configure_tracing(service: str) -> TracerProvider:
    """Install the process's tracer provider. Export is opt-in (`LISTFLOW_TRACE_CONSOLE=1`)
    until a collector is deployed; ids are still made and carried, so logs correlate."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"listflow-{service}"}))
    if os.environ.get("LISTFLOW_TRACE_CONSOLE") == "1":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
