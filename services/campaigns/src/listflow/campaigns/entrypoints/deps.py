"""Dependencies of the campaigns routers."""

from typing import Annotated

from fastapi import Depends, Request
from listflow.campaigns.bootstrap import Container
from listflow.campaigns.handlers import Campaigns, Messages, Templates
from listflow.campaigns.sms import Suppressions
from listflow.kit.container import container_dependency

_container = container_dependency(Container)


def _templates(request: Request) -> Templates:
    return _container(request).templates


def _campaigns(request: Request) -> Campaigns:
    return _container(request).campaigns


def _messages(request: Request) -> Messages:
    return _container(request).messages


def _suppressions(request: Request) -> Suppressions:
    return _container(request).suppressions


ContainerDep = Annotated[Container, Depends(_container)]
TemplatesDep = Annotated[Templates, Depends(_templates)]
CampaignsDep = Annotated[Campaigns, Depends(_campaigns)]
MessagesDep = Annotated[Messages, Depends(_messages)]
SuppressionsDep = Annotated[Suppressions, Depends(_suppressions)]
