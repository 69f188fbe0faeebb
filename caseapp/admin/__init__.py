"""Administration screens: users and units. Admins never see cases."""
