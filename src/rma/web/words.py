"""Plain words for the customer: what each code the services answer means to a person.

The strings are the English source text of the gettext catalogues; templates pass them
through ``_()``, so every language shows its own words.
"""

from __future__ import annotations

from rma.adapters.i18n import N_
from rma.services.portal import Blocked

# Why a line cannot be chosen at all.
BLOCKED = {
    Blocked.FINAL_SALE: N_("Final sale: this item cannot be returned."),
    Blocked.NOT_RETURNABLE: N_("Items of this kind cannot be returned."),
    Blocked.NOT_SHIPPED: N_("It has not shipped yet: you can return it once it has arrived."),
    Blocked.ALREADY_RETURNED: N_("Already returned: every unit is in another return."),
}

# What a violation the policy found means (the request page, the review notice).
VIOLATIONS = {
    "return_window_ended": N_(
        "The return window for this item has ended: the shop will review it."
    ),
    "non_returnable": N_("This item cannot be returned."),
    "not_shipped": N_("This item has not shipped yet."),
    "quantity_exceeds_returnable": N_("That is more than the units left to return."),
}

RESOLUTIONS = {
    "refund": N_("Refund to the original payment"),
    "store_credit": N_("Store credit"),
    "exchange": N_("Exchange for another size or colour"),
    "replacement": N_("Replacement (the same item again)"),
    "repair": N_("Repair"),
    "keep_item": N_("Keep the item and get a refund"),
}

STEPS = {
    "requested": N_("Requested"),
    "authorized": N_("Authorized"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered to the warehouse"),
    "inspected": N_("Inspected"),
    "resolved": N_("Refunded"),
}

# The status of a return, said to its customer.
STATUS = {
    "requested": N_("We received your request."),
    "pending_review": N_("Your request is waiting for the shop's review."),
    "authorized": N_("Authorized: send the box back."),
    "denied": N_("The shop declined this return."),
    "in_transit": N_("On its way to the warehouse."),
    "partially_received": N_("Part of your return has arrived at the warehouse."),
    "received": N_("Your return has arrived at the warehouse."),
    "inspected": N_("Your return has been inspected."),
    "resolved": N_("Your return is resolved."),
    "closed": N_("This return is closed."),
    "expired": N_("This return expired: nothing was sent before the deadline."),
    "cancelled": N_("You cancelled this return."),
}

# What happened, as the history lists it.
HISTORY = {
    "requested": N_("Return requested"),
    "pending_review": N_("Sent to the shop for review"),
    "authorized": N_("Authorized"),
    "denied": N_("Declined"),
    "in_transit": N_("Shipped"),
    "partially_received": N_("Partly received at the warehouse"),
    "received": N_("Received at the warehouse"),
    "inspected": N_("Inspected"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "expired": N_("Expired"),
    "cancelled": N_("Cancelled"),
}

SCANS = {
    "pre_transit": N_("Label created"),
    "in_transit": N_("In transit"),
    "out_for_delivery": N_("Out for delivery"),
    "delivered": N_("Delivered"),
    "exception": N_("Delayed or held up"),
    "return_to_sender": N_("Coming back to you"),
    "unknown": N_("Update"),
}

REFUND_STATUS = {
    "pending": N_("on its way to you"),
    "succeeded": N_("paid"),
    "failed": N_("delayed: the shop will retry"),
}

PHOTO = {
    "not_an_image": N_("That file is not a photo: choose a JPEG, PNG or WebP image."),
    "file_too_large": N_("That photo is too large: take it again at a lower resolution."),
}

# The reason codes every seller starts with, for the catalogues (a seller's own words for a
# reason it added are shown as written).
DEFAULT_REASONS = (
    N_("No longer needed/wanted"),
    N_("Accidental order"),
    N_("Better price available"),
    N_("Unauthorized purchase"),
    N_("Defective/Does not work properly"),
    N_("Different from website description"),
    N_("Missing parts or accessories"),
    N_("Different from what was ordered"),
    N_("Arrived in addition to what was ordered"),
    N_("Damaged due to inappropriate packaging"),
    N_("Damaged during shipping"),
    N_("Missed estimated delivery date"),
)
