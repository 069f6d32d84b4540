"""Reply to a ``boom`` request with a reply broken as the graph's first input names.

First input ``missing_gradient``: no gradient field.  ``string_value``: the
value is a word.  ``bare_nan``: the value is the non-standard JSON token NaN.
``short_nodes``: node_values has one entry too few.  ``error_reply``: a
well-formed error reply from the backward pass, which is not a protocol
violation.
"""

import json

from _serve import ENGINE, serve, write_line

from engines._child import handle_request


def broken(request):
    reply = handle_request(ENGINE, request)
    fault = request["graph"]["inputs"][0]
    if fault == "missing_gradient":
        del reply["gradient"]
    elif fault == "string_value":
        reply["value"] = "minus eight"
    elif fault == "bare_nan":
        reply["value"] = float("nan")
        write_line(json.dumps(reply))  # json.dumps writes NaN
        return None
    elif fault == "short_nodes":
        reply["node_values"] = reply["node_values"][:-1]
    elif fault == "error_reply":
        reply = {"id": request["id"], "error": {"phase": "backward", "type": "ZeroDivisionError", "message": "float division by zero"}}
    return reply


serve(broken)
