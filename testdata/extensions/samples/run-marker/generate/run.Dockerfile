ARG base_image
FROM ${base_image}

USER root
RUN mkdir -p /opt/tools && echo "added by the run.Dockerfile" > /opt/tools/run-marker.txt

ARG user_id
ARG group_id
USER ${user_id}:${group_id}
LABEL io.buildpacks.rebasable=true
