"""Use cases of a seller's places: return addresses and facilities."""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.addresses import Address, Facility, ReturnAddress
from rma.domain.errors import NotFound
from rma.domain.ids import new_id
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AddReturnAddress:
    seller_id: str
    label: str
    address: Address
    make_default: bool = False


def add_return_address(cmd: AddReturnAddress, uow: UnitOfWork) -> ReturnAddress:
    """Save an address; the seller's first one, or one asked to be, becomes the default."""
    with uow:
        saved = save_return_address(uow, cmd)
        uow.commit()
        return saved


def save_return_address(uow: UnitOfWork, cmd: AddReturnAddress) -> ReturnAddress:
    """Add the address inside an open unit of work (authorization adds one in passing)."""
    seller = uow.sellers.get(cmd.seller_id)
    if seller is None:
        raise NotFound(f"no seller {cmd.seller_id}", code="seller_not_found")
    saved = ReturnAddress(new_id("adr"), cmd.seller_id, cmd.label, cmd.address)
    uow.return_addresses.add(saved)
    if cmd.make_default or seller.default_return_address_id is None:
        seller.default_return_address_id = saved.id
    return saved


def list_return_addresses(
    seller_id: str, uow: UnitOfWork
) -> tuple[list[ReturnAddress], str | None]:
    """The seller's addresses and the id of the default one."""
    with uow:
        seller = uow.sellers.get(seller_id)
        default = seller.default_return_address_id if seller else None
        return uow.return_addresses.all(seller_id), default


def get_return_address(seller_id: str, address_id: str, uow: UnitOfWork) -> ReturnAddress:
    with uow:
        return find_return_address(uow, seller_id, address_id)


def find_return_address(uow: UnitOfWork, seller_id: str, address_id: str) -> ReturnAddress:
    """The seller's address with this id; another seller's is as absent as a missing one."""
    address = uow.return_addresses.get(seller_id, address_id)
    if address is None:
        raise NotFound(f"no return address {address_id}", code="return_address_not_found")
    return address


@dataclass(frozen=True)
class UpdateReturnAddress:
    seller_id: str
    address_id: str
    label: str
    address: Address


def update_return_address(cmd: UpdateReturnAddress, uow: UnitOfWork) -> ReturnAddress:
    """Change a saved address; returns already authorized keep the address they printed."""
    with uow:
        saved = find_return_address(uow, cmd.seller_id, cmd.address_id)
        saved.label, saved.address = cmd.label, cmd.address
        uow.commit()
        return saved


def make_default_return_address(seller_id: str, address_id: str, uow: UnitOfWork) -> None:
    """Returns authorized without a chosen address are sent to this one from now on."""
    with uow:
        find_return_address(uow, seller_id, address_id)
        seller = uow.sellers.get(seller_id)
        assert seller is not None  # an address belongs to an existing seller
        seller.default_return_address_id = address_id
        uow.commit()


def delete_return_address(seller_id: str, address_id: str, uow: UnitOfWork) -> None:
    """Forget a saved address; if it was the default, the seller has none until one is chosen.

    Returns authorized to it keep the address as printed on their label.
    """
    with uow:
        saved = find_return_address(uow, seller_id, address_id)
        seller = uow.sellers.get(seller_id)
        if seller is not None and seller.default_return_address_id == address_id:
            seller.default_return_address_id = None
        uow.return_addresses.remove(saved)
        uow.commit()


def put_facility(facility: Facility, uow: UnitOfWork) -> Facility:
    """Create or replace a facility under the seller's code for it."""
    with uow:
        existing = uow.facilities.get(facility.seller_id, facility.code)
        if existing is None:
            uow.facilities.add(facility)
            existing = facility
        else:
            existing.name = facility.name
            existing.address = facility.address
        uow.commit()
        return existing


def list_facilities(seller_id: str, uow: UnitOfWork) -> list[Facility]:
    with uow:
        return uow.facilities.all(seller_id)
