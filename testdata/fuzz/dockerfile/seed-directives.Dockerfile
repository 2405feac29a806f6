# syntax=docker/dockerfile:1
# escape=`
ARG base_image=busybox
FROM --platform=linux/amd64 ${base_image:-busybox} AS base
LABEL "io.example.key"="a ${empty:+set} value" other=`"quoted`"
COPY --chown=1000:1000 --chmod=0755 <<EOT /usr/local/bin/hello
#!/bin/sh
echo hello
EOT
RUN <<EOS
set -e
echo ${HOME?no home}
EOS
WORKDIR /workspace/${missing-default}
EXPOSE 8080/tcp
VOLUME ["/data"]
CMD ["/bin/sh", "-c", "echo hi"]
STOPSIGNAL SIGTERM
HEALTHCHECK CMD true
