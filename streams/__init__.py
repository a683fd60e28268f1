"""The live pipeline: Faust agents that run the pure rule core over Kafka topics."""
