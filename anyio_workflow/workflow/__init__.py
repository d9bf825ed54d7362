"""The workflow engine: phases, task groups, the capacity limiter, retries, results, events."""
