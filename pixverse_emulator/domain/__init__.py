"""The emulator's domain: teams, ledgers, tasks, policies, faults and uploads.

No HTTP and no I/O here: these modules are plain data and rules, used by the core's use
cases and persisted by `store/`.
"""
