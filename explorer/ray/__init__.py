"""The Ray back end (`--backend ray`): the vector back end's fingerprint-partitioned
search (explorer.vector.partition) with each owner a Ray actor, on one machine or a
cluster: backend (the registry's entry, no Ray imported), owners (the actors and the
transport that moves successors between them through Ray's object store), engine (the
Ray session and the run)."""
