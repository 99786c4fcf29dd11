"""Account pages under /account/: sign up, sign in, passwords, membership, Stripe."""

from django.urls import path

from . import opml_views, views

urlpatterns = [
    path("", views.account, name="account"),
    path("signup/", views.signup, name="signup"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("confirm/send/", views.confirm_email_send, name="confirm_email_send"),
    path("confirm/<str:token>/", views.confirm_email, name="confirm_email"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("delete/", views.account_delete, name="account_delete"),
    path("following.opml", opml_views.opml_export, name="opml_export"),
    path("following/import/", opml_views.opml_import, name="opml_import"),
    path("apps/feed/", views.private_feed_new, name="private_feed_new"),
    path("apps/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("membership/cancel/", views.membership_cancel, name="membership_cancel"),
    path("membership/resume/", views.membership_resume, name="membership_resume"),
    path("billing/checkout/", views.checkout, name="checkout"),
    path("billing/portal/", views.billing_portal, name="billing_portal"),
    path("billing/stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
