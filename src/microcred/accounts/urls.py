from __future__ import annotations

from django.urls import path

from microcred.accounts import email_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    # Also the link in invitation e-mails (services.password_set_url): a first password.
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("security/", views.security, name="security"),
    path("emails/add/", email_views.email_add, name="email_add"),
    path("emails/verify/<str:token>/", email_views.email_verify, name="email_verify"),
    path("emails/<int:pk>/remove/", email_views.email_remove, name="email_remove"),
    path("security/totp/", views.totp_setup, name="totp_setup"),
    path("security/totp/disable/", views.totp_disable, name="totp_disable"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
