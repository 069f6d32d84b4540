"""Start a sleeping grandchild and hang on a ``boom`` request.

The grandchild's pid goes to stderr as ``grandchild=PID`` so a test can check
that killing the child's process group ended it too.  With ``--ignore-eof``
the double also keeps running after its stdin closes.
"""

import subprocess
import sys
import time

from _serve import serve


def hang(request):
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    sys.stderr.write(f"grandchild={grandchild.pid}\n")
    sys.stderr.flush()
    time.sleep(600)


serve(hang)
if "--ignore-eof" in sys.argv:
    time.sleep(600)
