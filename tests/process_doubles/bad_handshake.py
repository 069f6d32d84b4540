"""Follow a script of good and bad starts: ``bad_handshake.py STATE MODE PATTERN``.

STATE is a file counting starts.  PATTERN has one letter per start, ``g`` for
a good handshake and ``b`` for a bad one; starts past its end repeat its last
letter.  MODE selects what a bad start does: ``garbage`` (not JSON), ``version``
(protocol gradoracle.engine/2), ``silent`` (never writes) or ``exit`` (exits
with code 5).  After a good handshake the double exits with code 4 on a
``boom`` request, which makes the engine restart it.
"""

import json
import os
import sys
import time
from pathlib import Path

from _serve import ENGINE, serve, write_line

from engines._child import handshake_for

state, mode, pattern = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
starts = int(state.read_text()) if state.exists() else 0
state.write_text(str(starts + 1))

if pattern[min(starts, len(pattern) - 1)] == "g":
    serve(lambda request: os._exit(4))
    sys.exit(0)

sys.stderr.write(f"double: bad handshake ({mode}) on start {starts + 1}\n")
sys.stderr.flush()
if mode == "garbage":
    write_line("hello, I am an engine")
elif mode == "version":
    handshake = handshake_for(ENGINE)
    handshake["protocol"] = "gradoracle.engine/2"
    write_line(json.dumps(handshake))
elif mode == "silent":
    time.sleep(600)
elif mode == "exit":
    sys.exit(5)
serve(lambda request: None, handshake=False)
