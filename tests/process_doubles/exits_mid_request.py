"""Write half a reply to a ``boom`` request, then exit with code 3."""

import os
import sys

from _serve import serve


def crash(request):
    sys.stderr.write("double: exiting mid-request\n")
    sys.stderr.flush()
    sys.stdout.write('{"id": %d, "value": ' % request["id"])
    sys.stdout.flush()
    os._exit(3)


serve(crash)
