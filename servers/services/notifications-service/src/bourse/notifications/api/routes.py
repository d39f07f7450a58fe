"""/api/v1/notifications (API.md, Notifications): the caller's own inbox only."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from bourse.auth.deps import CurrentUser
from bourse.common.pagination import After, Limit
from bourse.messaging.runtime import Db
from bourse.notifications.api.schemas import NotificationPage, ReadAllResult
from bourse.notifications.handlers import http
from bourse.notifications.schemas import Notification, to_notification

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not authenticated"},
    422: {"description": "invalid input"},
}
Unread = Annotated[bool, Query(description="only notifications not read yet")]


@router.get("", response_model=NotificationPage, responses=PROBLEMS)
async def list_notifications(
    user: CurrentUser, db: Db, unread: Unread = False, limit: Limit = 50, after: After = None
) -> NotificationPage:
    """Newest first; ``unread_count`` counts all the caller's unread notifications."""
    page, unread_count = await http.list_notifications(
        db, user.user_id, unread=unread, limit=limit, after=after
    )
    return NotificationPage(
        items=[to_notification(row) for row in page.items],
        next=page.next,
        unread_count=unread_count,
    )


@router.post("/read-all", response_model=ReadAllResult, responses=PROBLEMS)
async def read_all(user: CurrentUser, db: Db) -> ReadAllResult:
    done = await http.mark_all_read(db, user.user_id)
    return ReadAllResult(marked=done.marked, unread_count=done.unread_count)


@router.post(
    "/{notification_id}/read",
    response_model=Notification,
    responses=PROBLEMS | {404: {"description": "unknown or not yours"}},
)
async def read(notification_id: UUID, user: CurrentUser, db: Db) -> Notification:
    """Mark read (idempotent: a second call keeps the first ``read_at``)."""
    return to_notification(await http.mark_read(db, user.user_id, notification_id))
