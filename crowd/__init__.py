"""The crowd layer: where workers come from and where money moves.

`registry` lists the providers (one package each under crowd/); `review` is the only way
money, verdicts, blocks and qualifications happen; `context` is what a world may do to its
workers. Imports run one way: datastore ← crowd ← runner, webapp ← tasks.
"""
