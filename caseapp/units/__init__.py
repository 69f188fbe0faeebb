"""Units of the youth-union network: a tree that scopes users and cases."""
