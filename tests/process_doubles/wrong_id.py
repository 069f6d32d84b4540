"""Reply to a ``boom`` request with a well-formed reply under another id."""

from _serve import ENGINE, serve

from engines._child import handle_request


def shifted(request):
    reply = handle_request(ENGINE, request)
    reply["id"] = request["id"] + 100
    return reply


serve(shifted)
