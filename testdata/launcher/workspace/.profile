echo "sourced app profile"
export VAR_FROM_PROFILE="$VAR_FROM_PROFILE:from-app-profile"
