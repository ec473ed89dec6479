"""Developer and operator tools: the `relance` command, the embedded AWS stack and the local pipeline.

Kept outside the `relance` package so that the Lambda layer holds exactly what the functions run.
"""
