"""The async core of newsdigest: sources, ingestion, the article store, the service, delivery."""
