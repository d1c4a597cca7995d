"""The real Immich server for the tests: built from upstream source, run as plain processes on loopback
with a real PostgreSQL 15 (+ pgvector) and Valkey. See README.md in this folder."""
