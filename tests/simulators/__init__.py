"""Local, standard-library HTTP simulators of the Okta Management API and the Zoom REST API.

Used by the integration tests, the fault-injection tests and the demo::

    with OktaSimulator() as okta, ZoomSimulator() as zoom:
        load_org("tests/demo_org.json", okta, zoom)
        ...  # point the sync at okta.url and zoom.url
"""

from .http import Fault, RecordedRequest
from .okta import OktaSimulator
from .seed import load_org
from .zoom import ZoomSimulator

__all__ = ["Fault", "OktaSimulator", "RecordedRequest", "ZoomSimulator", "load_org"]
