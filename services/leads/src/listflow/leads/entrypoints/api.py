"""HTTP API of the leads service, one router per resource: lead lists (`lists_api`), leads
(`leads_api`), dialer campaigns (`campaigns_api`), do-not-call (`dnc_api`)."""

from listflow.leads.entrypoints.campaigns_api import campaigns_router
from listflow.leads.entrypoints.dnc_api import dnc_router
from listflow.leads.entrypoints.leads_api import leads_router
from listflow.leads.entrypoints.lists_api import lists_router

routers = [lists_router, leads_router, campaigns_router, dnc_router]
