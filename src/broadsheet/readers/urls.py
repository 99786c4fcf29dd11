"""Account pages: sign up, sign in, password reset, membership. (Filled in by the accounts work.)"""

urlpatterns: list = []
