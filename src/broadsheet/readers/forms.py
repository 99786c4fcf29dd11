"""Account forms: sign up, sign in, delete account."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .models import User

log = logging.getLogger("broadsheet.readers")


# Django's validators, used when the settings name none (AUTH_PASSWORD_VALIDATORS empty).
def password_validators() -> list:
    return password_validation.get_default_password_validators()


def validate_password(password: str, user: User) -> None:
    """Raise ValidationError when ``password`` is too short, too common, numeric or like the
    address."""
    password_validation.validate_password(password, user, password_validators())


def normalise_email(value: str) -> str:
    """Addresses are stored lower-cased (see UserManager), so compare them that way too."""
    return User.objects.normalize_email(value.strip()).lower()


class SignUpForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email",
                                                            "autofocus": True}))
    password = forms.CharField(
        label="Password", strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters; not a common password, not only digits, not like your "
                  "email address.",
    )

    duplicate_message = ("An account with this email address already exists. Sign in instead, or "
                         "reset your password if you have forgotten it.")

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(self.duplicate_message, code="duplicate")
        return email

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        password = cleaned.get("password")
        if password:
            candidate = User(email=cleaned.get("email", ""))
            try:
                validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned

    def save(self) -> User:
        return User.objects.create_user(self.cleaned_data["email"], self.cleaned_data["password"])


class SignInForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email",
                                                            "autofocus": True}))
    password = forms.CharField(label="Password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "current-password"}))

    error_messages = {
        "invalid": "That email and password do not match an account. Check both and try again.",
    }

    def __init__(self, request=None, *args, **kwargs) -> None:
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        email, password = cleaned.get("email"), cleaned.get("password")
        if email and password:
            self.user = authenticate(self.request, email=normalise_email(email), password=password)
            if self.user is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return cleaned


class DeleteAccountForm(forms.Form):
    password = forms.CharField(label="Password", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "current-password"}),
                               help_text="Type your password to confirm.")

    def __init__(self, user: User, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password is not right.", code="wrong_password")
        return password


class ResetForm(PasswordResetForm):
    """Django's reset form with our field label, and a note when the email could not go out.

    Django logs a failed reset email and carries on as if it were sent; the reader is waiting
    for it, so the view says so instead (``delivery_failed``).
    """

    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    delivery_failed = False

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            message.attach_alternative(render_to_string(html_email_template_name, context),
                                       "text/html")
        try:
            message.send()
        except OSError:  # smtplib errors and timeouts (settings.EMAIL_TIMEOUT)
            log.warning("password reset email to user %s not sent", context["user"].pk,
                        exc_info=True)
            self.delivery_failed = True


if TYPE_CHECKING:
    _FormMixin = forms.Form  # mixed into forms: their cleaned_data and add_error
else:
    _FormMixin = object


class _ValidatedNewPassword(_FormMixin):
    """Check the new password with settings.AUTH_PASSWORD_VALIDATORS."""

    def validate_password_for_user(self, user, password_field_name: str = "password2") -> None:
        password = self.cleaned_data.get(password_field_name)
        if password:
            try:
                validate_password(password, user)
            except forms.ValidationError as error:
                self.add_error(password_field_name, error)


class ChangePasswordForm(_ValidatedNewPassword, PasswordChangeForm):
    pass


class NewPasswordForm(_ValidatedNewPassword, SetPasswordForm):
    pass
