"""The console a person uses in a browser: `/_emulator/ui`, and the offline API docs.

Everything it loads comes from this package (`static/`, with the vendored scripts and
their licences in `static/vendor/`): no CDN, no build step.
"""
