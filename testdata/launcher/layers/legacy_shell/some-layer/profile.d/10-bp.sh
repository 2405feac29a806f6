echo "sourced bp profile"
