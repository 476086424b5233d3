"""Dependencies of the campaigns routers."""

from typing import Annotated

from fastapi import Depends
from listflow.campaigns.bootstrap import Container
from listflow.campaigns.handlers import Campaigns, Messages, Templates
from listflow.campaigns.sms import Suppressions
from listflow.kit.container import container_dependency, part_dependency

_container = container_dependency(Container)

ContainerDep = Annotated[Container, Depends(_container)]
TemplatesDep = Annotated[Templates, Depends(part_dependency(Container, lambda c: c.templates))]
CampaignsDep = Annotated[Campaigns, Depends(part_dependency(Container, lambda c: c.campaigns))]
MessagesDep = Annotated[Messages, Depends(part_dependency(Container, lambda c: c.messages))]
SuppressionsDep = Annotated[
    Suppressions, Depends(part_dependency(Container, lambda c: c.suppressions))
]
