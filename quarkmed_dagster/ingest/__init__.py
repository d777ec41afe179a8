"""Query ingestion (MISSION stage 1), pure domain logic without Dagster.

Entry points: ``pipeline.ingest_file`` (one file -> IngestResult frames),
``batches.discover_batches`` / ``batches.register_batch`` (batch ids from content hashes,
the ``ingest_batches`` registry), ``loaders.LOADERS`` (formats by name) and
``classify.QueryClassifier`` (the batch protocol of classifiers) and
``llm_classifier.select_classifier`` (the profile's LLM classifier, or the rule baseline).
"""
