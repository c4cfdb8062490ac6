"""The evaluation backend: workers that claim queued requests, run lm-evaluation-harness in a
child process and publish the results. It talks to the stores only (DESIGN.md §2).

Kept import-light: the child process that runs the harness imports this package too.
"""
