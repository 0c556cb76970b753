"""Plain words for the customer: what each code the services answer means to a person.

The strings are the English source text of the gettext catalogues; templates pass them
through ``_()``, so every language shows its own words.
"""

from __future__ import annotations

from rma.services.portal import Blocked

# Why a line cannot be chosen at all.
BLOCKED = {
    Blocked.FINAL_SALE: "Final sale: this item cannot be returned.",
    Blocked.NOT_RETURNABLE: "Items of this kind cannot be returned.",
    Blocked.NOT_SHIPPED: "It has not shipped yet: you can return it once it has arrived.",
    Blocked.ALREADY_RETURNED: "Already returned: every unit is in another return.",
}

# What a violation the policy found means (the request page, the review notice).
VIOLATIONS = {
    "return_window_ended": "The return window for this item has ended: the shop will review it.",
    "non_returnable": "This item cannot be returned.",
    "not_shipped": "This item has not shipped yet.",
    "quantity_exceeds_returnable": "That is more than the units left to return.",
}

RESOLUTIONS = {
    "refund": "Refund to the original payment",
    "store_credit": "Store credit",
    "exchange": "Exchange for another size or colour",
    "replacement": "Replacement (the same item again)",
    "repair": "Repair",
    "keep_item": "Keep the item and get a refund",
}

STEPS = {
    "requested": "Requested",
    "authorized": "Authorized",
    "shipped": "Shipped",
    "delivered": "Delivered to the warehouse",
    "inspected": "Inspected",
    "resolved": "Refunded",
}

# The status of a return, said to its customer.
STATUS = {
    "requested": "We received your request.",
    "pending_review": "Your request is waiting for the shop's review.",
    "authorized": "Authorized: send the box back.",
    "denied": "The shop declined this return.",
    "in_transit": "On its way to the warehouse.",
    "partially_received": "Part of your return has arrived at the warehouse.",
    "received": "Your return has arrived at the warehouse.",
    "inspected": "Your return has been inspected.",
    "resolved": "Your return is resolved.",
    "closed": "This return is closed.",
    "expired": "This return expired: nothing was sent before the deadline.",
    "cancelled": "You cancelled this return.",
}

SCANS = {
    "pre_transit": "Label created",
    "in_transit": "In transit",
    "out_for_delivery": "Out for delivery",
    "delivered": "Delivered",
    "exception": "Delayed or held up",
    "return_to_sender": "Coming back to you",
    "unknown": "Update",
}

REFUND_STATUS = {
    "pending": "on its way to you",
    "succeeded": "paid",
    "failed": "delayed: the shop will retry",
}

PHOTO = {
    "not_an_image": "That file is not a photo: choose a JPEG, PNG or WebP image.",
    "file_too_large": "That photo is too large: take it again at a lower resolution.",
}
