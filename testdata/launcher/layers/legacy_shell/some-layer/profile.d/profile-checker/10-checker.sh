echo "sourced bp profile for profile-checker"
export VAR_FROM_PROFILE="from-bp-profile"
