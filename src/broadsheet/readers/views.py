"""Account pages: sign up (starting the free trial), sign in and out, passwords, the account page
with membership, cancel and resume, Stripe Checkout and webhooks, account deletion."""

from __future__ import annotations

import json
import logging
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import billing, emails, signups, tasks
from . import membership as transitions
from .forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    NewPasswordForm,
    ResetForm,
    SignInForm,
    SignUpForm,
    normalise_email,
)
from .models import User
from .nextpath import next_value, safe_next
from .throttle import client_address, email_budget, reset_throttle, signin_throttle
from .webhooks import handle_event

log = logging.getLogger("broadsheet.readers")

BACKEND = "django.contrib.auth.backends.ModelBackend"


# -- sign up, sign in, sign out ---------------------------------------------------------------

@never_cache
@sensitive_post_parameters("password")
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account, sign in at once and start the free trial: full access immediately,
    unless this is a repeat trial from the same address today (then it waits for the emailed
    confirmation link); past the daily number of sign-ups from an address, HTTP 429."""
    if request.user.is_authenticated:
        return redirect(safe_next(request, "account"))
    form = SignUpForm(request.POST or None)
    context = {"form": form, "next": next_value(request), "trial_days": settings.TRIAL_DAYS}
    if request.method == "POST":
        admission = signups.admit(client_address(request))
        if not admission.allowed:
            response = render(request, "readers/signup.html",
                              {**context, "form": SignUpForm(initial={"email": request.POST.get(
                                  "email", "")}), "throttled": admission.message}, status=429)
            response["Retry-After"] = str(admission.retry_after)
            return response
        user = _make_account(form, admission)
        if user is not None:
            return _welcome(request, user)
    return render(request, "readers/signup.html", context, status=400 if form.errors else 200)


def _make_account(form: SignUpForm, admission: signups.Admission):
    """The new account with its trial, or None (and the sign-up uncounted) when the form fails."""
    if form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
                transitions.start_trial(user, awaits_confirmation=not admission.instant)
        except IntegrityError:  # the same address signed up a moment ago
            form.add_error("email", SignUpForm.duplicate_message)
        else:
            return user
    admission.release()
    return None


def _welcome(request: HttpRequest, user) -> HttpResponse:
    """Sign the new reader in, queue the welcome email (never waiting for the mail server), go
    where they were."""
    login(request, user, backend=BACKEND)
    try:
        tasks.send_welcome_email(user.pk)
    except Exception:  # a queue that is down must not spoil the sign-up; the email is optional
        log.warning("welcome email for user %s not queued", user.pk, exc_info=True)
    days = settings.TRIAL_DAYS
    if user.membership.awaits_confirmation:
        messages.info(request, f"Welcome to Broadsheet. We have sent a link to {user.email}: "
                               f"your {days}-day free trial starts when you open it.")
    else:
        messages.success(request, f"Welcome to Broadsheet. Your free trial has started: {days} "
                                  f"day{'' if days == 1 else 's'} of full access.")
    return redirect(safe_next(request))


@never_cache
@sensitive_post_parameters("password")
def signin(request: HttpRequest) -> HttpResponse:
    """Sign in by email and password, with failed attempts throttled per address and client."""
    if request.user.is_authenticated and request.method != "POST":
        return redirect(safe_next(request, "account"))
    form = SignInForm(request, request.POST or None)
    throttled = None
    if request.method == "POST":
        email = normalise_email(request.POST.get("email", ""))
        client = client_address(request)
        attempt = signin_throttle.attempt(email, client)
        if not attempt.allowed:
            throttled = attempt.verdict
            form = SignInForm(request, initial={"email": request.POST.get("email", "")})
        elif form.is_valid():
            attempt.succeeded()
            login(request, form.user, backend=BACKEND)
            return redirect(safe_next(request))
        elif form.has_error("__all__", "invalid"):
            attempt.failed()
        else:
            attempt.release()  # an incomplete form guessed nothing
    status = 429 if throttled else 400 if form.errors else 200
    response = render(request, "readers/signin.html", {
        "form": form, "next": next_value(request),
        "throttled": throttled.message if throttled else "",
    }, status=status)
    if throttled:
        response["Retry-After"] = str(throttled.retry_after)
    return response


def _reader(request: HttpRequest) -> User:
    """The signed-in reader of a ``login_required`` view, typed as the account it is."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


@never_cache
def signout(request: HttpRequest) -> HttpResponse:
    """Sign out on POST (a link cannot sign anyone out); GET shows the button."""
    if request.method == "POST":
        logout(request)
        return redirect(settings.LOGOUT_REDIRECT_URL)
    return render(request, "readers/signout.html")


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm the address from the emailed link; a trial that waited for it starts now."""
    confirmed = emails.confirm_address(token)
    return render(request, "readers/confirm_email.html", {
        "confirmed": confirmed is not None, "trial_days": settings.TRIAL_DAYS,
        "trial_started": confirmed is not None and confirmed.trial_started,
        "waiting": confirmed is None and _awaits_confirmation(request.user),
    }, status=200 if confirmed else 400)


def _awaits_confirmation(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    membership = transitions.membership_of(user)
    return membership is not None and membership.awaits_confirmation


@require_POST
@login_required
def confirm_email_send(request: HttpRequest) -> HttpResponse:
    """Email the confirmation link again (a few an hour per address: HTTP 429 past that)."""
    user = _reader(request)
    if user.email_confirmed_at is not None and not _awaits_confirmation(user):
        messages.info(request, "Your email address is already confirmed.")
        return redirect("account")
    use = email_budget.take(user.email)
    if not use.allowed:
        return _throttled(request, "readers/throttled.html", {
            "heading": "The link is on its way", "back_url": reverse("account"),
            "note": "We have sent this address several emails in the last hour; the newest "
                    "link works. Check your spam folder too."}, use.verdict)
    if not emails.send_confirmation(user, booked=use):
        return render(request, "readers/throttled.html", {
            "heading": "We could not send the email just now", "back_url": reverse("account"),
            "throttled": "Our mail server did not answer. Please try again in a few minutes.",
            "note": "Nothing was sent, so this does not count against the emails an hour.",
        }, status=503)
    messages.success(request, f"We have sent a new link to {user.email}.")
    return redirect(safe_next(request, "account"))


# -- passwords ---------------------------------------------------------------------------------

def _throttled(request: HttpRequest, template: str, context: dict, verdict) -> HttpResponse:
    """The form again, unchecked, with "Too many attempts" (HTTP 429 with Retry-After)."""
    response = render(request, template, {**context, "throttled": verdict.message}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password; wrong current passwords count against the sign-in throttle.

    Someone holding a reader's session must not be able to guess the password here faster than
    at the sign-in page.
    """

    form_class = ChangePasswordForm
    template_name = "readers/password_change.html"
    success_url = reverse_lazy("password_change_done")

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        reader = _reader(request)
        attempt = signin_throttle.attempt(reader.email, client_address(request))
        if not attempt.allowed:
            return _throttled(request, self.template_name,
                              self.get_context_data(form=self.form_class(reader)),
                              attempt.verdict)
        form = self.get_form()
        if form.is_valid():
            attempt.succeeded()
            return self.form_valid(form)
        if form.has_error("old_password", "password_incorrect"):
            attempt.failed()
        else:
            attempt.release()
        return self.form_invalid(form)


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "readers/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Email a reset link that starts with SITE_URL (never the request's Host header).

    Requests follow the sign-in rules under their own scope, and each email spends one of the
    address's ``email_budget``: past either, HTTP 429 with Retry-After.
    """

    form_class = ResetForm
    template_name = "readers/password_reset.html"
    email_template_name = "readers/emails/password_reset.txt"
    subject_template_name = "readers/emails/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        email = normalise_email(form.cleaned_data["email"])
        attempt = reset_throttle.attempt(email, client_address(self.request))
        use = email_budget.take(email) if attempt.allowed else attempt
        if not use.allowed:
            attempt.release()
            response = self.render_to_response(
                self.get_context_data(form=form, throttled=use.verdict.message), status=429)
            response["Retry-After"] = str(use.verdict.retry_after)
            return response
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        response = super().form_valid(form)
        if form.delivery_failed:
            attempt.release()  # nothing was sent: trying again later is not flooding anyone
            use.release()
            form.add_error(None, "We could not send the email just now: our mail server did not "
                                 "answer. Please try again in a few minutes.")
            return self.render_to_response(self.get_context_data(form=form), status=503)
        return response


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "readers/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "readers/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "readers/password_reset_complete.html"


# -- the account page and membership -----------------------------------------------------------

def _reader_zone(user) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(user.time_zone) if user.time_zone else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _subscribed(membership, now=None) -> bool:
    """A live Stripe subscription: a second checkout would charge the reader twice."""
    return (membership is not None and bool(membership.stripe_subscription_id)
            and membership.state in ("active", "past_due", "cancelled")
            and membership.has_access(now or timezone.now()))


@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    membership = transitions.membership_of(user)
    now = timezone.now()
    zone = _reader_zone(user) or timezone.get_default_timezone()
    with timezone.override(zone):
        described = transitions.describe(membership, now)
    has_access = membership is not None and membership.has_access(now)
    context = {
        "membership": membership,
        "membership_words": described,
        "has_access": has_access,
        "billing": billing.enabled(),
        "can_cancel": transitions.can_cancel(membership),
        "can_resume": transitions.can_resume(membership, now),
        "can_subscribe": billing.enabled() and not _subscribed(membership, now),
        "can_manage_billing": billing.enabled() and membership is not None
        and bool(membership.stripe_customer_id),
        "no_period_end": membership is not None and membership.current_period_end is None,
        "checkout_done": request.GET.get("checkout") == "success",
        "zone": zone,
        "tokens": _tokens_of(user),
        **_new_feed_urls(request.session.pop(NEW_FEED_URL_KEY, "")),
        "linked_publishers": _linked_publishers(user),
        "confirm_days": settings.SIGNIN_LIMITS["confirm_link_days"],
    }
    return render(request, "readers/account.html", context)


def _new_feed_urls(latest: str) -> dict:
    """A new private feed address, and the reader's For you behind the same secret."""
    suffix = "/latest.xml"
    for_you = latest[:-len(suffix)] + "/for-you.xml" if latest.endswith(suffix) else ""
    return {"new_feed_url": latest, "new_for_you_url": for_you}


def _linked_publishers(user) -> list:
    """Publishers whose reads and statements this account sees (its page, /publisher/)."""
    from broadsheet.publishers.models import PublisherAccount

    return [link.publisher for link in PublisherAccount.objects.filter(user=user)
            .select_related("publisher").order_by("publisher__name")]


# -- apps and private feeds (tokens) -----------------------------------------------------------

NEW_FEED_URL_KEY = "readers:new_feed_url"


def _tokens_of(user) -> list:
    from broadsheet.api.models import ApiToken

    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))


@require_POST
@login_required
def private_feed_new(request: HttpRequest) -> HttpResponse:
    """Make a private full-text feed address; it is shown once, on the account page."""
    from broadsheet.api.auth import private_feed_url

    # Kept in the server-side session, not a message cookie: the address is a secret.
    request.session[NEW_FEED_URL_KEY] = private_feed_url(_reader(request))
    return redirect(reverse("account") + "#apps-title")


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the reader's tokens: the app or feed reader using it is locked out."""
    from broadsheet.api.models import ApiToken

    deleted, _ = ApiToken.objects.filter(user=_reader(request), pk=pk).delete()
    if deleted:
        messages.success(request, "Revoked: that app or feed address no longer works.")
    else:
        messages.error(request, "There is no such app or feed address on your account.")
    return redirect(reverse("account") + "#apps-title")


@require_POST
@login_required
def membership_cancel(request: HttpRequest) -> HttpResponse:
    """Cancel at the end of the period: reading continues until then."""
    reader = _reader(request)
    membership = transitions.membership_of(reader)
    if not transitions.can_cancel(membership):
        messages.error(request, "There is no membership to cancel.")
        return redirect("account")
    if not _tell_stripe(request, membership, cancel=True):
        return redirect("account")
    transitions.cancel(membership)
    zone = _reader_zone(reader) or timezone.get_default_timezone()
    with timezone.override(zone):
        messages.success(request, _cancelled_message(membership))
    return redirect("account")


def _tell_stripe(request: HttpRequest, membership, *, cancel: bool) -> bool:
    """Set the subscription to end (or renew) at the period's end; False, with a message, if
    Stripe could not be told. Without billing there is nothing to tell."""
    if not (billing.enabled() and membership.stripe_subscription_id):
        return True
    try:
        billing.gateway().set_cancel_at_period_end(membership.stripe_subscription_id, cancel)
    except (billing.BillingError, billing.BillingUnavailable) as error:
        verb = "cancelled" if cancel else "resumed"
        messages.error(request, f"Your membership could not be {verb}: {error}. "
                                "Please try again later.")
        return False
    return True


def _cancelled_message(membership) -> str:
    if membership.state == membership.State.CANCELLED:
        words = transitions.describe(membership)
        return f"Your membership is cancelled. {words.split(': ', 1)[-1].capitalize()}."
    return "Your membership has ended."


@require_POST
@login_required
def membership_resume(request: HttpRequest) -> HttpResponse:
    """Undo a cancellation before the period ends."""
    membership = transitions.membership_of(_reader(request))
    if not transitions.can_resume(membership):
        messages.error(request, "There is no cancelled membership to resume.")
        return redirect("account")
    if not _tell_stripe(request, membership, cancel=False):
        return redirect("account")
    transitions.resume(membership)
    messages.success(request, "Welcome back: your membership will renew as before.")
    return redirect("account")


@require_POST
@login_required
def checkout(request: HttpRequest) -> HttpResponse:
    """Start Stripe Checkout for the membership and send the reader there."""
    if not billing.enabled():
        raise Http404("payments are off")
    reader = _reader(request)
    membership = transitions.membership_of(reader)
    if _subscribed(membership):
        messages.info(request, "You are a member already; your subscription is on this page.")
        return redirect("account")
    account_url = emails.site_link(reverse("account"))
    order = billing.CheckoutRequest(
        user_id=reader.pk,
        email=reader.email,
        success_url=account_url + "?checkout=success",
        cancel_url=account_url,
        customer_id=membership.stripe_customer_id if membership else "",
    )
    try:
        url = billing.gateway().create_checkout(order)
    except (billing.BillingError, billing.BillingUnavailable) as error:
        log.warning("checkout for user %s failed: %s", reader.pk, error)
        messages.error(request, f"Checkout could not start: {error}. Please try again later.")
        return redirect("account")
    return HttpResponseRedirect(url, status=303)


@require_POST
@login_required
def billing_portal(request: HttpRequest) -> HttpResponse:
    """Send a paying reader to Stripe's customer portal (to update a card after a failure)."""
    membership = transitions.membership_of(_reader(request))
    if not billing.enabled() or membership is None or not membership.stripe_customer_id:
        raise Http404("no billing account")
    try:
        url = billing.gateway().create_portal(membership.stripe_customer_id,
                                              emails.site_link(reverse("account")))
    except (billing.BillingError, billing.BillingUnavailable) as error:
        messages.error(request, f"The billing page could not open: {error}. "
                                "Please try again later.")
        return redirect("account")
    return HttpResponseRedirect(url, status=303)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's event notifications, accepted only with a valid ``Stripe-Signature``."""
    if not billing.enabled():
        raise Http404("payments are off")
    secret = settings.STRIPE.get("webhook_secret", "")
    if not secret:
        log.error("a Stripe webhook arrived but BROADSHEET_STRIPE_WEBHOOK_SECRET is empty")
        return HttpResponseBadRequest("webhook secret not configured")
    import stripe

    payload = request.body
    try:
        stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature", ""),
                                       secret)
    except stripe.SignatureVerificationError:
        return HttpResponseBadRequest("bad signature")
    except ValueError:
        return HttpResponseBadRequest("bad payload")
    event = json.loads(payload)
    outcome = handle_event(event)
    return HttpResponse(outcome, content_type="text/plain")


# -- deleting the account ----------------------------------------------------------------------

@never_cache
@sensitive_post_parameters("password")
@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    """Delete the account and everything it holds, after the password confirms it."""
    user = _reader(request)
    form = DeleteAccountForm(user, request.POST or None)
    if request.method == "POST":
        attempt = signin_throttle.attempt(user.email, client_address(request))
        if not attempt.allowed:
            return _throttled(request, "readers/account_delete.html",
                              {"form": DeleteAccountForm(user)}, attempt.verdict)
        if form.is_valid():
            attempt.release()
        elif form.has_error("password", "wrong_password"):
            attempt.failed()
        else:
            attempt.release()
    if request.method == "POST" and form.is_valid():
        membership = transitions.membership_of(user)
        if billing.enabled() and membership and membership.stripe_subscription_id \
                and membership.state != membership.State.EXPIRED:
            try:
                billing.gateway().cancel_now(membership.stripe_subscription_id)
            except (billing.BillingError, billing.BillingUnavailable) as error:
                form.add_error(None, f"Your subscription could not be stopped ({error}), so "
                                     "nothing was deleted. Please try again later.")
                return render(request, "readers/account_delete.html", {"form": form},
                              status=503)
        email = user.email
        logout(request)
        user.delete()  # follows, saves, history and membership go with it (cascade)
        log.info("account deleted at the reader's request")
        return render(request, "readers/account_deleted.html", {"email": email})
    return render(request, "readers/account_delete.html", {"form": form},
                  status=400 if form.errors else 200)
