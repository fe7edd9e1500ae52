"""Builds the adapters and the engine from the settings, the policy and the credentials, once per run."""

from __future__ import annotations

from okta_zoom_sync.adapters.dynamodb.store import DynamoStateStore
from okta_zoom_sync.adapters.http.retry import RetryPolicy
from okta_zoom_sync.adapters.okta.auth import OktaApiToken, OktaServiceApp
from okta_zoom_sync.adapters.okta.client import OktaClient, okta_bucket
from okta_zoom_sync.adapters.okta.limits import OktaRateLimiter
from okta_zoom_sync.adapters.pictures.fetcher import HttpsPictureFetcher
from okta_zoom_sync.adapters.zoom.client import ZoomClient
from okta_zoom_sync.adapters.zoom.limits import LIGHT, ZoomRateLimiter, plan_limits, workers_for
from okta_zoom_sync.boundary.secrets import Credentials
from okta_zoom_sync.boundary.settings import Settings
from okta_zoom_sync.core.attributes import okta_attributes, profile_layout
from okta_zoom_sync.core.policy import Policy
from okta_zoom_sync.core.ports import StateStore, ZoomGroupMaker
from okta_zoom_sync.engine.budget import TimeBudget
from okta_zoom_sync.engine.checkpoint import Checkpoint, DryRunCheckpoint, StateCheckpoint
from okta_zoom_sync.engine.dry_run import DryRunState
from okta_zoom_sync.engine.executor import Applier, DryRunExecutor, Executor
from okta_zoom_sync.engine.sync import SyncEngine, utc_now
from okta_zoom_sync.engine.transfer import TransferTargets
from okta_zoom_sync.engine.zoom_rules import DryRunGroupMaker, ZoomRules


def build_okta(
    settings: Settings, credentials: Credentials, retry: RetryPolicy | None = None, *, picture_attribute: str = ""
) -> OktaClient:
    auth: OktaApiToken | OktaServiceApp
    if credentials.okta_api_token is not None:
        auth = OktaApiToken(credentials.okta_api_token.get_secret_value().strip())
    else:
        assert credentials.okta_client_id and credentials.okta_private_key  # checked by Credentials
        auth = OktaServiceApp(
            client_id=credentials.okta_client_id,
            private_key_pem=credentials.okta_private_key.get_secret_value(),
            key_id=credentials.okta_key_id,
        )
    limiter = OktaRateLimiter(okta_bucket, share=settings.okta_rate_share, retry=retry)
    return OktaClient(
        settings.okta_org_url,
        settings.okta_app_id,
        auth,
        retry=retry,
        limiter=limiter,
        picture_attribute=picture_attribute,
    )


def build_zoom(settings: Settings, credentials: Credentials, retry: RetryPolicy | None = None) -> ZoomClient:
    policy = retry or RetryPolicy()
    limiter = ZoomRateLimiter(
        settings.zoom_plan, limits=settings.zoom_rate_limits, clock=policy.clock, sleep=policy.sleep
    )
    return ZoomClient(
        settings.zoom_api_url,
        settings.zoom_token_url,
        credentials.zoom_account_id,
        credentials.zoom_client_id,
        credentials.zoom_client_secret.get_secret_value(),
        retry=retry,
        limiter=limiter,
        pool_size=apply_workers(settings),
    )


def apply_workers(settings: Settings) -> int:
    """Users applied at once: the setting, or (0) as many as keep the plan's Light label busy."""
    return settings.apply_workers or workers_for(plan_limits(settings.zoom_plan, settings.zoom_rate_limits)[LIGHT])


def build_picture_fetcher() -> HttpsPictureFetcher:
    """Profile pictures: https only, from public addresses only (tests replace this to serve from loopback)."""
    return HttpsPictureFetcher()


def build_state(settings: Settings) -> DynamoStateStore:
    return DynamoStateStore(settings.state_table_name)


def build_engine(
    settings: Settings, policy: Policy, credentials: Credentials, *, dry_run: bool, budget: TimeBudget
) -> SyncEngine:
    # Retries never wait past the point where the run stops starting new work.
    retry = RetryPolicy().within(max(0.0, budget.left() - budget.margin))
    okta = build_okta(settings, credentials, retry, picture_attribute=policy.picture_attribute)
    zoom = build_zoom(settings, credentials, retry)
    okta.keep_profile(okta_attributes(policy))  # only what the attribute templates name is kept of a profile
    zoom.keep_profile(profile_layout(policy))
    store = build_state(settings)
    # The one place a dry run is told apart: it gets an executor that only lists the plan, the state table read
    # but never written, and no checkpoint (nothing recorded, nothing read from Okta only to be recorded).
    executor: Executor
    state: StateStore
    checkpoint: Checkpoint
    group_maker: ZoomGroupMaker
    if dry_run:
        executor, state, checkpoint = DryRunExecutor(), DryRunState(store), DryRunCheckpoint()
        group_maker = DryRunGroupMaker()
    else:
        executor = Applier(
            zoom,
            zoom,
            store,
            clock=utc_now,
            workers=apply_workers(settings),
            batch=store,
            license_fallback=policy.license_fallback,
            transfers=TransferTargets(okta, zoom),
            pictures=build_picture_fetcher() if policy.picture_attribute else None,
        )
        state, checkpoint = store, StateCheckpoint(okta, store)
        group_maker = zoom
    return SyncEngine(
        okta=okta,
        zoom=zoom,
        state=state,
        executor=executor,
        checkpoint=checkpoint,
        policy=policy,
        app_id=settings.okta_app_id,
        budget=budget,
        request_stats=lambda: {"okta": okta.stats.as_dict(), "zoom": zoom.stats.as_dict()},
        zoom_rules=ZoomRules(zoom=zoom, groups=group_maker, store=state, policy=policy),
    )
