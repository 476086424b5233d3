"""Ingest's use cases, one module per job, each taking ports only (wired in bootstrap.py):

- accept: a file stored, its layout detected, started at once if asked;
- imports: starting an import, the background runner under a lease, cancelling;
- outcomes: the owning services' row outcomes recorded once, completion announced once;
- reconcile: recovery after crashes (resume, complete, repair stalled tallies);
- preview: the whole file checked and matched, nothing written but the preview;
- planning, files, saved_mappings: what the jobs share (the import plan and check spec, the
  stored file read in checked batches, a saved mapping applied to options).
"""
