"""Stored MinHash signatures of ingested queries (table ``query_signatures``).

A batch hashes only its own rows; the stored queries it can match are looked up by dedup
key and LSH bucket in DuckDB (``StoredSignatures.matching``), so its cost does not grow with
the number of stored queries.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import polars as pl

from quarkmed_dagster.ingest.dedup import Signature, signature_of
from quarkmed_dagster.warehouse.store import Warehouse, load_sql

TABLE = "query_signatures"


def signature_frame(
    signatures: Sequence[Signature], batch_ids: Sequence[str], threshold: float
) -> pl.DataFrame:
    """Rows of ``query_signatures`` (one batch id per signature)."""
    return pl.DataFrame(
        {
            "query_id": [s.query_id for s in signatures],
            "batch_id": list(batch_ids),
            "dedup_key": [s.key for s in signatures],
            "minhash": [s.hashvalues.tolist() for s in signatures],
            "lsh_threshold": [threshold] * len(signatures),
            "buckets": [s.buckets(threshold) for s in signatures],
        },
        schema={
            "query_id": pl.String,
            "batch_id": pl.String,
            "dedup_key": pl.String,
            "minhash": pl.List(pl.UInt64),
            "lsh_threshold": pl.Float64,
            "buckets": pl.List(pl.Int64),
        },
    )


class StoredSignatures:
    """The ``KnownSignatures`` of one batch: the stored queries of every other batch."""

    def __init__(self, store: Warehouse, batch_id: str) -> None:
        self.store, self.batch_id = store, batch_id

    def backfill(self, threshold: float) -> int:
        """Hash and store the signatures that stored queries lack (once); returns how many."""
        params = {"batch_id": self.batch_id, "threshold": threshold}
        with self.store.connect() as con:
            missing = con.execute(load_sql("select_queries_without_signatures"), params).pl()
        if not missing.height:
            return 0
        signatures = [
            signature_of(qid, "\n".join(t["content"] for t in json.loads(turns)))
            for qid, turns in zip(missing["query_id"], missing["turns"], strict=True)
        ]
        frame = signature_frame(signatures, missing["batch_id"].to_list(), threshold)
        return self.store.upsert_rows(TABLE, frame, ["query_id"])

    def matching(self, signatures: Sequence[Signature], threshold: float) -> list[Signature]:
        keys = pl.DataFrame(
            {"dedup_key": sorted({s.key for s in signatures})}, schema={"dedup_key": pl.String}
        )
        buckets = pl.DataFrame(
            {"bucket": sorted({b for s in signatures for b in s.buckets(threshold)})},
            schema={"bucket": pl.Int64},
        )
        with self.store.connect() as con:
            con.register("incoming_keys", keys.to_arrow())
            con.register("incoming_buckets", buckets.to_arrow())
            try:
                params = {"batch_id": self.batch_id, "threshold": threshold}
                rows = con.execute(load_sql("select_matching_signatures"), params).fetchall()
            finally:
                con.unregister("incoming_keys")
                con.unregister("incoming_buckets")
        return [
            Signature(qid, key, np.asarray(values, dtype=np.uint64)) for qid, key, values in rows
        ]

    def store_batch(self, signatures: Sequence[Signature], threshold: float) -> int:
        """Replace this batch's signatures with those of its kept queries."""
        frame = signature_frame(signatures, [self.batch_id] * len(signatures), threshold)
        return self.store.replace_rows(TABLE, frame, ["batch_id"], [self.batch_id])
