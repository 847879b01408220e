from __future__ import annotations

import subprocess
import sys


def test_standards_core_imports_without_django():
    code = (
        "import sys\n"
        "import microcred.vc.verify, microcred.vc.baking, microcred.vc.jose, microcred.vc.status_list\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], 'django imported'\n"
        "assert 'celery' not in sys.modules\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
