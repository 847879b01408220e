"""microcred: self-hostable micro-credential platform.

The Celery app is loaded by ``microcred.core`` when Django starts (see ``CoreConfig.ready``), not
here, so that ``microcred.vc`` can be imported as a library without Django.
"""
