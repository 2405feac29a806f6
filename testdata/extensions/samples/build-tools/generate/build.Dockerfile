ARG base_image
FROM ${base_image}

USER root
RUN mkdir -p /opt/tools \
 && printf '#!/bin/sh\necho "said by a tool the build.Dockerfile installed"\n' > /opt/tools/say \
 && chmod 0755 /opt/tools/say
ENV PATH=/opt/tools:${PATH}

ARG user_id
ARG group_id
USER ${user_id}:${group_id}
