"""`okzs`, the operator's command line: builds an event, validates it with the handler's own model, invokes the
deployed sync function and prints its result as tables (`render`). The top layer: nothing else imports it (the
Lambda handlers never load it), and it reaches the engine only through the deployed function.
"""
