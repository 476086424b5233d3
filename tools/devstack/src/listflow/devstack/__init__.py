"""Local development stack: real Kafka and FerretDB processes, topics, services, gateway."""
