"""Reply to a ``boom`` request with a line that is not JSON."""

import sys

from _serve import serve


def garbage(request):
    sys.stdout.write("{this is not json\n")
    sys.stdout.flush()


serve(garbage)
